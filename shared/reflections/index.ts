export { REFLECTION_WINDOWS, HOURS_PER_WEEK, hourOfDay, hourOfWeek, isNightHour } from './model.js';
export type { HourProfile, SensorProfile, SensorReflection, ReflectionPointer } from './model.js';
export { reflectionFromReadings } from './build.js';
export { reflectionDelta, applyReflectionDelta, changedBuckets } from './delta.js';
export type { ReflectionDelta } from './delta.js';
