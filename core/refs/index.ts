export * from './references';
export * from './resolve';
export * from './run-references';
