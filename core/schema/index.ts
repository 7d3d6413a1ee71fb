export * from './job-settings';
export * from './validate';
export * from './single-task';
export * from './json-limits';
export * from './notification-destination';
export * from './rule-set';
export * from './field-classes';
