// A Figma file (the JSON of GET /v1/files/:key) drawn as SVG markup, to see
// what tf.apply wrote: every visible node with an absoluteBoundingBox of the
// first page, in document order, as a rectangle (frames, shapes), an
// ellipse or text, with its top fill, its top stroke and weight, corner
// radius, opacity and drop shadows. Layout is the file's own: positions
// do not move when a theme changes sizes or padding.
import { cssColor } from './render.js';

const escape = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
const num = (v) => Number(Number(v).toFixed(2));

// The top visible paint as an SVG colour (a gradient as its first stop).
function paint(paints) {
  if (!Array.isArray(paints)) return null;
  for (let i = paints.length - 1; i >= 0; i--) {
    const p = paints[i];
    if (!p || p.visible === false) continue;
    if (p.type === 'SOLID' && p.color) return cssColor(p.color, p.opacity ?? 1);
    if (p.type?.startsWith('GRADIENT_') && p.gradientStops?.length) return cssColor(p.gradientStops[0].color, p.opacity ?? 1);
  }
  return null;
}

// Words of a text node in lines that fit its width (about 0.55 em a character).
function lines(characters, width, fontSize) {
  const perLine = Math.max(1, Math.floor(width / (fontSize * 0.55)));
  const out = [];
  for (const paragraph of String(characters).split('\n')) {
    let line = '';
    for (const word of paragraph.split(' ')) {
      if (line && line.length + 1 + word.length > perLine) {
        out.push(line);
        line = word;
      } else line = line ? `${line} ${word}` : word;
    }
    out.push(line);
  }
  return out;
}

/** SVG markup for a parsed Figma file: `{svg, drawn, nodes}` (nodes drawn,
 * of the page's nodes; at most maxNodes are drawn). */
export function figmaSvg(file, { maxNodes = 5000 } = {}) {
  const page = file.document?.children?.find((c) => c.type === 'CANVAS') ?? file.document;
  if (!page) throw new Error('not a Figma file: no document');
  const shapes = [], defs = [];
  let nodes = 0, minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  const walk = (node) => {
    if (!node || node.visible === false) return;
    nodes++;
    const b = node.absoluteBoundingBox;
    if (b && shapes.length < maxNodes) {
      minX = Math.min(minX, b.x);
      minY = Math.min(minY, b.y);
      maxX = Math.max(maxX, b.x + b.width);
      maxY = Math.max(maxY, b.y + b.height);
      shapes.push(shape(node, b, defs));
    }
    for (const child of node.children ?? []) walk(child);
  };
  for (const child of page.children ?? []) walk(child);
  if (shapes.length === 0) return { svg: '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"></svg>', drawn: 0, nodes };
  const pad = 8, w = maxX - minX + 2 * pad, h = maxY - minY + 2 * pad;
  const background = page.backgroundColor ? cssColor(page.backgroundColor) : '#ffffff';
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="${num(minX - pad)} ${num(minY - pad)} ${num(w)} ${num(h)}" `
    + `width="${num(w)}" height="${num(h)}" role="img" aria-label="${escape(file.name ?? 'Figma file')}">`
    + `<defs>${defs.join('')}</defs><rect x="${num(minX - pad)}" y="${num(minY - pad)}" width="${num(w)}" height="${num(h)}" fill="${background}"/>`
    + `${shapes.join('')}</svg>`;
  return { svg, drawn: shapes.length, nodes };
}

function shape(node, b, defs) {
  const attrs = [`data-node="${escape(node.id)}"`];
  if (typeof node.opacity === 'number' && node.opacity < 1) attrs.push(`opacity="${num(node.opacity)}"`);
  const shadows = (node.effects ?? []).filter((e) => e.type === 'DROP_SHADOW' && e.visible !== false && e.color);
  if (shadows.length) {
    const id = `shadow-${defs.length}`;
    defs.push(`<filter id="${id}" x="-50%" y="-50%" width="200%" height="200%">${shadows.map((e) =>
      `<feDropShadow dx="${num(e.offset?.x ?? 0)}" dy="${num(e.offset?.y ?? 0)}" stdDeviation="${num((e.radius ?? 0) / 2)}" `
      + `flood-color="${cssColor({ ...e.color, a: 1 })}" flood-opacity="${num(e.color.a ?? 1)}"/>`).join('')}</filter>`);
    attrs.push(`filter="url(#${id})"`);
  }
  const fill = paint(node.fills);
  if (node.type === 'TEXT') {
    const s = node.style ?? {};
    const size = typeof s.fontSize === 'number' ? s.fontSize : 14;
    const lineHeight = typeof s.lineHeightPx === 'number' ? s.lineHeightPx : size * 1.3;
    const tspans = lines(node.characters ?? '', b.width, size).map((line, i) =>
      `<tspan x="${num(b.x)}" y="${num(b.y + i * lineHeight)}">${escape(line)}</tspan>`).join('');
    return `<text ${attrs.join(' ')} fill="${fill ?? 'none'}" font-family="${escape(s.fontFamily ?? 'sans-serif')}, system-ui, sans-serif" `
      + `font-size="${num(size)}" font-weight="${escape(s.fontWeight ?? 400)}" dominant-baseline="hanging">${tspans}</text>`;
  }
  const stroke = paint(node.strokes);
  if (stroke && node.strokeWeight > 0) attrs.push(`stroke="${stroke}" stroke-width="${num(node.strokeWeight)}"`);
  attrs.push(`fill="${fill ?? 'none'}"`);
  if (node.type === 'ELLIPSE') {
    return `<ellipse ${attrs.join(' ')} cx="${num(b.x + b.width / 2)}" cy="${num(b.y + b.height / 2)}" rx="${num(b.width / 2)}" ry="${num(b.height / 2)}"/>`;
  }
  const radius = typeof node.cornerRadius === 'number' ? node.cornerRadius : Math.max(0, ...(node.rectangleCornerRadii ?? [0]));
  if (radius > 0) attrs.push(`rx="${num(Math.min(radius, b.width / 2, b.height / 2))}"`);
  return `<rect ${attrs.join(' ')} x="${num(b.x)}" y="${num(b.y)}" width="${num(b.width)}" height="${num(b.height)}"/>`;
}
