// What the preview draws: a tree of nodes, each with a token map (property
// -> token name) as a Figma file's nodes carry them. The bundled examples
// have a small page each; any other set gets a swatch per colour token.

const text = (id, characters, tokens) => ({ id, text: characters, tokens });

export const pages = {
  demo: {
    id: 'page', tokens: { fill: 'color.bg.canvas', spacing: 'card.padding' }, children: [
      {
        id: 'card', tokens: { fill: 'card.bg', border: 'card.border', borderRadius: 'card.radius', boxShadow: 'card.shadow', spacing: 'card.padding', itemSpacing: 'card.gap' },
        children: [
          text('title', 'Release notes', { typography: 'type.heading.sm', fill: 'color.fg.default' }),
          text('body', 'Every colour, radius, shadow and font here comes from a token, written as Figma would write it.', { typography: 'type.body.md', fill: 'color.fg.muted' }),
          {
            id: 'actions', row: true, tokens: { itemSpacing: 'button.gap' }, children: [
              { id: 'primary', tokens: { fill: 'button.primary.bg', border: 'button.primary.border', borderRadius: 'button.radius', horizontalPadding: 'button.padding-x', verticalPadding: 'button.padding-y' },
                children: [text('primary-label', 'Publish', { typography: 'type.label.md', fill: 'button.primary.fg' })] },
              { id: 'secondary', tokens: { fill: 'button.secondary.bg', border: 'button.secondary.border', borderRadius: 'button.radius', horizontalPadding: 'button.padding-x', verticalPadding: 'button.padding-y' },
                children: [text('secondary-label', 'Preview', { typography: 'type.label.md', fill: 'button.secondary.fg' })] },
              { id: 'danger', tokens: { fill: 'button.danger.bg', border: 'button.danger.border', borderRadius: 'button.radius', horizontalPadding: 'button.padding-x', verticalPadding: 'button.padding-y' },
                children: [text('danger-label', 'Discard', { typography: 'type.label.md', fill: 'button.danger.fg' })] },
            ],
          },
          {
            id: 'input', tokens: { fill: 'input.bg', border: 'input.border', borderRadius: 'input.radius', horizontalPadding: 'input.padding-x', verticalPadding: 'button.padding-y' },
            children: [text('placeholder', 'Search tokens…', { typography: 'type.body.md', fill: 'input.placeholder' })],
          },
        ],
      },
    ],
  },
  studio: {
    id: 'page', tokens: { fill: 'color.bg', spacing: 'button.padding' }, children: [
      text('title', 'Tokens Studio example', { typography: 'button.label', fill: 'color.fg' }),
      {
        id: 'actions', row: true, tokens: {}, children: [
          { id: 'button', tokens: { fill: 'color.accent', border: 'button.border', borderRadius: 'button.radius', spacing: 'button.padding', boxShadow: 'button.shadow' },
            children: [text('button-label', 'Apply tokens', { typography: 'button.label', fill: 'color.bg' })] },
          { id: 'danger', tokens: { fill: 'color.danger', borderRadius: 'button.radius', spacing: 'button.padding' },
            children: [text('danger-label', 'Cancel', { typography: 'button.label', fill: 'color.fg' })] },
        ],
      },
    ],
  },
};

/** A page of swatches for any set: one node per colour token (at most 120). */
export function swatchPage(colourTokens) {
  return {
    id: 'page', tokens: {}, swatches: true, children: colourTokens.slice(0, 120).map((name, i) => ({
      id: `swatch-${i}`, title: name, tokens: { fill: name }, children: [],
    })),
  };
}

/** The nodes of a page in document order. */
export function nodesOf(page) {
  const out = [];
  const walk = (n) => { out.push(n); (n.children ?? []).forEach(walk); };
  walk(page);
  return out;
}
