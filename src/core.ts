/**
 * The platform-independent API, shared by the Node entry (`index.ts`) and the browser entry (`browser.ts`).
 * Each line re-exports one public function (file named after it) and its option types.
 */

// MATLAB's image functions, as tensor functions that run on every backend.
export { mat2gray } from './image/mat2gray.js';
export { imresize } from './image/imresize.js';
export type { ImresizeOptions, ImresizeMethod } from './image/imresize.js';
export { imtile } from './image/imtile.js';
export type { ImtileInput, ImtileOptions } from './image/imtile.js';
export type { ColorName, ColorSpec } from './image/colorSpec.js';
export { maxChannel } from './image/maxChannel.js';
export { maxChannelIndex } from './image/maxChannelIndex.js';
export type { MaxChannelInfo } from './image/maxChannelIndex.js';
export { im2double } from './image/im2double.js';
export { rgb2gray } from './image/rgb2gray.js';
export { im2uint8 } from './image/im2uint8.js';
export { uint8 } from './image/uint8.js';
export { COLORMAP_NAMES, colormap, heatmapOverlay, imagesc } from './image/colormap.js';
export type { ColormapName, HeatmapOverlayOptions, ImagescOptions } from './image/colormap.js';

// Image encoding that needs no platform API.
export { encodePng } from './io/encodePng.js';
export type { ImageFormat } from './io/imwriteFormat.js';
export type { ImageInput, PixelData, PixelDataInfo, PixelSource } from './io/imageInput.js';

// The network.
export { activations } from './net/activations.js';
export type { ActivationsOf, ActivationsOptions, LayerOf, LayerRef } from './net/activations.js';
export type { NonFinitePolicy } from './net/nonFinite.js';
export { analyzeNetwork } from './net/analyzeNetwork.js';
export type { AnalyzeNetworkOptions, LayerAnalysis, NetworkAnalysis } from './net/analyzeNetwork.js';
export { classify } from './net/classify.js';
export type { ClassifyOptions, ClassScore } from './net/classify.js';
export { predict } from './net/predict.js';
export type { PredictOptions } from './net/predict.js';
export { scores2label } from './net/scores2label.js';
export type { Scores2LabelResult } from './net/scores2label.js';
export { learnables } from './net/learnables.js';
export { toNetwork } from './net/toNetwork.js';
export type { ToNetworkOptions } from './net/toNetwork.js';
export type { ImportNetworkOptions } from './net/importNetwork.js';
export type { NormalizationOption } from './net/normalization.js';
export { LAYER_TYPES, NORMALIZATION_TYPES } from './net/types.js';
export type {
  ConvolutionLayerInfo,
  CropLayerInfo,
  FunctionNormalization,
  InputNormalization,
  LayerInfo,
  LayerInfoBase,
  LayerType,
  LoadNetworkOptions,
  Network,
  NetworkKind,
  NetworkLayerInfo,
  NoNormalization,
  NormalizationType,
  PaddingLayerInfo,
  PaddingMode,
  PoolingLayerInfo,
  RescaleNormalization,
  ResizeLayerInfo,
  SimpleLayerInfo,
  TransposedConvolutionLayerInfo,
  ZerocenterNormalization,
  ZscoreNormalization,
} from './net/types.js';

// The built-in networks (their loaders are in the platform entries).
export type { SqueezenetOptions } from './models/squeezenet/defaults.js';

// Interpretability: why the network decides as it does.
export { deepDreamImage } from './interpret/deepDreamImage.js';
export type { DeepDreamImageOptions } from './interpret/deepDreamImage.js';
export { gradCAM } from './interpret/gradCAM.js';
export type { GradCAMOptions, GradCAMResult } from './interpret/gradCAM.js';
export { gradientAttribution } from './interpret/gradientAttribution.js';
export type { GradientAttributionOptions, GradientAttributionResult } from './interpret/gradientAttribution.js';
export { imageLIME } from './interpret/imageLIME.js';
export type { ImageLIMEClassesResult, ImageLIMEOptions, ImageLIMEResult } from './interpret/imageLIME.js';
export { occlusionSensitivity } from './interpret/occlusionSensitivity.js';
export type { OcclusionSensitivityOptions } from './interpret/occlusionSensitivity.js';
export { tsne } from './interpret/tsne.js';
export type { TsneDistance, TsneOptions, TsneResult } from './interpret/tsne.js';

// Limits on what arguments may ask for.
export { getLimits, setLimits } from './internal/limits.js';
export type { Limits } from './internal/limits.js';
export type { WaitOptions } from './internal/abortable.js';

// Backend choice.
export { initBackend, BACKEND_NAMES } from './backend/initBackend.js';
export type {
  BackendName,
  BackendChoice,
  InitBackendOptions,
  SkippedBackend,
  WebGPUAdapterDescription,
  WasmPaths,
} from './backend/initBackend.js';
export { describeBackend } from './backend/describeBackend.js';
export type { BackendDescription } from './backend/describeBackend.js';

// The built-in network's layer names, as a value and as types (the loaders are in each entry).
export { SQUEEZENET_LAYER_NAMES } from './models/squeezenet/layerNames.js';
export type { SqueezeNet, SqueezeNetLayerName } from './models/squeezenet/layerNames.js';
