export * from './job-settings';
export * from './validate';
