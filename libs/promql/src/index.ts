export * from './errors.ts';
export type * from './ast.ts';
export { typeOf } from './ast.ts';
export { parsePromql } from './parser.ts';
export { parseApiDurationMs, parsePromDurationMs } from './durations.ts';
export { chooseResolution, type Labels, type ResolutionNeed, type SeriesRef, type SeriesWindow, type WindowSource } from './window-source.ts';
export { applyRangeFunction, SeriesWindows } from './range-functions.ts';
export { evaluate, type EvaluationLimits, type EvaluationRequest, type EvaluationResult, type ResultSeries } from './evaluator.ts';
export { labelsKey, type Sample } from './instant-vector.ts';
