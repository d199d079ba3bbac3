/**
 * Stands in, in a function's bundle, for a dependency module its calls never reach (see
 * `unreachableModules` in lib/hookyard-function.ts). Loading it is a bug, so it fails loudly. It exports
 * nothing on purpose: a static `import { x }` of a replaced module fails the build, so only a lazy
 * `import()` (the SDK loads optional capabilities that way) can be replaced.
 */
export {};

throw new Error(
  'a module left out of this bundle as unreachable was loaded: remove it from unreachableModules (lib/hookyard-function.ts)',
);
