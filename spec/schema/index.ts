export * from './job-settings';
export * from './validate';
export * from './json-limits';
