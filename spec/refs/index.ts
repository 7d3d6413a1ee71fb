export * from './references';
export * from './resolve';
