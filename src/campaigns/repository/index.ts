// The campaigns room's statements: the one place its tables are written, with names from the schema.
export * from './audience.js';
export * from './budget.js';
export * from './campaigns.js';
export * from './recipients.js';
export * from './reports.js';
