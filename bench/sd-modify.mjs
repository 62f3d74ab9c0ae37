// Applies Tokens Studio colour modifiers with sd-transforms (colour.js) to
// the cases in a JSON file ([[base, type, amount, space, mixColour], ...])
// and prints the hex results as a JSON array.
// Run from the folder holding node_modules (bench/fetch-tokensets.sh's npm dir).
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';

// modifyColor is not exported by the package: load it from its dist folder.
const pkg = join(process.cwd(), 'node_modules/@tokens-studio/sd-transforms');
const { modifyColor } = await import(pathToFileURL(join(pkg, 'dist/color-modifiers/modifyColor.js')));
const cases = JSON.parse(readFileSync(process.argv[2], 'utf8'));
console.log(JSON.stringify(cases.map(([c, type, value, space, color]) =>
  modifyColor(c, { type, value: String(value), space, color, format: 'hex' }))));
