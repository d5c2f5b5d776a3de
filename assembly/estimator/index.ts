// WASM module "estimator": the numeric core of the performance estimator (DESIGN.md section 5).
// Each instance holds one MRC engine (one app's streaming state) and the model-fitting kernel; the TypeScript
// facade (service/estimator/wasm.ts) owns the buffers and creates one instance per builder.
export {
  mrcInit, mrcAdd, mrcReset, mrcCurve, mrcSpanPages, mrcOutPtr, mrcAccesses, mrcSampledAccesses, mrcRate,
  mrcLivePages, mrcBinWidth, mrcKappa, mrcDistinctEstimate, mrcPrefetchSink, mrcAt,
} from './mrc';
export { fitReserve, fitRun, fitResultPtr } from './fit';
