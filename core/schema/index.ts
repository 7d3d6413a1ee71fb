export * from './job-settings';
export * from './validate';
export * from './single-task';
export * from './json-limits';
export * from './notification-destination';
export * from './field-classes';
