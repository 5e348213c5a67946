/**
 * "ragged-rnn/vis": training you can see, in a browser page — `liveChart` (uPlot inside). The
 * recorder and the report's data and HTML are in the core API (they need no chart library). A separate bundle (dist/browser/ragged-vis.js) so the core stays free of uPlot.
 *
 * @example
 * import { liveChart } from "ragged-rnn/vis";
 */
export { LiveChart, liveChart, type LiveChartArgs } from "./live_chart.js";
