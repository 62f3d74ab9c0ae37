// Figma writes (the ops of tf.plans) as CSS, to preview a theme in a page.
// A node's ops become one style object; text nodes take their fill as the
// text colour, as Figma paints text with its fills.

const channel = (x) => Math.round(Math.min(1, Math.max(0, x)) * 255);

/** A Figma colour {r, g, b, a} (0..1) as CSS, times an opacity. */
export function cssColor({ r, g, b, a = 1 }, opacity = 1) {
  return `rgba(${channel(r)}, ${channel(g)}, ${channel(b)}, ${Number((a * opacity).toFixed(3))})`;
}

function paintCss(paint) {
  if (paint.visible === false) return null;
  if (paint.type === 'SOLID') return cssColor(paint.color, paint.opacity ?? 1);
  if (paint.type?.startsWith('GRADIENT_') && Array.isArray(paint.gradientStops)) {
    const stops = paint.gradientStops.map((s) => `${cssColor(s.color)} ${Number((s.position * 100).toFixed(2))}%`);
    return paint.type === 'GRADIENT_LINEAR' ? `linear-gradient(${stops.join(', ')})` : `radial-gradient(${stops.join(', ')})`;
  }
  return null;
}

// The top paint wins, as Figma draws the last paint of a list on top.
function topPaint(paints) {
  for (let i = paints.length - 1; i >= 0; i--) {
    const css = paintCss(paints[i]);
    if (css) return css;
  }
  return 'transparent';
}

const px = (v) => `${v}px`;

/** CSS properties for one node's ops: {style, text} (text from `characters`). */
export function cssOf(ops, { isText = false } = {}) {
  const style = {};
  let text;
  for (const op of ops) {
    switch (op.op) {
      case 'fills': {
        const css = topPaint(op.paints);
        if (isText) style.color = css;
        else style.background = css;
        break;
      }
      case 'strokes':
        style.borderColor = topPaint(op.paints);
        style.borderStyle ??= 'solid';
        break;
      case 'stroke_weight':
        style.borderWidth = px(op.value);
        style.borderStyle ??= 'solid';
        break;
      case 'dashes':
        if (op.value?.some((d) => d > 0)) style.borderStyle = 'dashed';
        break;
      case 'corner_radius':
        style.borderRadius = px(op.value);
        break;
      case 'corner_radii':
        style.borderRadius = op.value.map(px).join(' ');
        break;
      case 'padding':
        for (const side of ['top', 'right', 'bottom', 'left']) {
          if (op[side] !== undefined) style[`padding${side[0].toUpperCase()}${side.slice(1)}`] = px(op[side]);
        }
        break;
      case 'item_spacing':
        if (op.value !== undefined) style.gap = px(op.value);
        break;
      case 'shadows':
        style.boxShadow = op.effects
          .filter((e) => e.visible !== false && (e.type === 'DROP_SHADOW' || e.type === 'INNER_SHADOW'))
          .map((e) => `${e.type === 'INNER_SHADOW' ? 'inset ' : ''}${px(e.offset.x)} ${px(e.offset.y)} ${px(e.radius)} ${px(e.spread ?? 0)} ${cssColor(e.color)}`)
          .join(', ') || 'none';
        break;
      case 'shadows_off':
        style.boxShadow = 'none';
        break;
      case 'opacity':
        style.opacity = String(op.value);
        break;
      case 'size':
        if (op.axis !== 'height') style.width = px(op.value);
        if (op.axis !== 'width') style.height = px(op.value);
        break;
      case 'visible':
        style.display = op.value ? '' : 'none';
        break;
      case 'text_style': {
        const f = op.fields;
        if (f.fontFamily) style.fontFamily = `"${f.fontFamily}", system-ui, sans-serif`;
        if (typeof f.fontSize === 'number') style.fontSize = px(f.fontSize);
        if (f.fontWeight?.weight) style.fontWeight = String(f.fontWeight.weight);
        if (f.lineHeight?.unit === 'PERCENT') style.lineHeight = `${f.lineHeight.value}%`;
        else if (f.lineHeight?.unit === 'PIXELS') style.lineHeight = px(f.lineHeight.value);
        if (f.letterSpacing?.unit === 'PIXELS') style.letterSpacing = px(f.letterSpacing.value);
        break;
      }
      case 'characters':
        text = String(op.value);
        break;
      default:
        break;
    }
  }
  return { style, text };
}
