// Shared by the tests of the JavaScript API: the module under test, and
// what native.mjs gives (token folders, the native build's answers, the
// real Figma files).
import { modulePath } from './native.mjs';

export * from './native.mjs';
export const { createTokenflow, compileTokenflow } = await import(modulePath);
