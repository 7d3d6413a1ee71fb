export * from './states';
export * from './graph';
export * from './run-if';
export * from './scheduler';
export * from './retry';
export * from './condition';
export * from './repair';
export * from './only';
