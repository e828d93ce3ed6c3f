export * from './errors.ts';
export { parseSelector, labelPredicate, type LabelMatcher, type MatchOp, type Selector } from './selector.ts';
export { findSeries, findSeriesOfEach, seriesByIds, SeriesCache, type SeriesInfo } from './series-finder.ts';
export { blockRead, readBlockWindows, readWindow, readWindows, windowStarts, MAX_WINDOWS_PER_QUERY, type BlockRead, type StoredWindow } from './window-reader.ts';
export { aggregateSteps } from './step-aggregation.ts';
export { MAX_WINDOWS_PER_SERIES, pickResolution, type ResolutionNeed } from './resolution-picker.ts';
export { querySeries, type QueryOptions, type SeriesRow } from './query-series.ts';
export { formatTable, seriesLabel } from './format-table.ts';
export { alertRow, formatAlertsTable, listAlerts, type AlertRow } from './alerts-table.ts';
