export { EMPTY_MOMENTS, addValue, mergeMoments, momentsOf, sampleVariance, sampleStddev, meanOf } from './moments.js';
export type { Moments } from './moments.js';
export { emptyCoMoments, addVector, mergeCoMoments, sampleCovariance } from './comoments.js';
export type { CoMoments } from './comoments.js';
export { pseudoInverseOf, subMatrix, quadraticFormRoot } from './linear-algebra.js';
export {
  QUANTILE_RELATIVE_ACCURACY,
  newQuantileSketch,
  mergeQuantileSketches,
  mergeSketchInto,
  quantileOf,
  encodeQuantileSketch,
  decodeQuantileSketch,
} from './quantile-sketch.js';
export type { QuantileSketch } from './quantile-sketch.js';
