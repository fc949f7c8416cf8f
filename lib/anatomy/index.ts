export { mergeTemplateData, productData, type TaskContextInput, templateDataForTask } from "./data.js";
export { type Anatomy, AnatomySchema, loadDefaultAnatomy, parseAnatomy } from "./defaults.js";
export { type FormatSpec, formatValue, parseFormatSpec } from "./format.js";
export {
  type AnatomyRoots,
  currentPlatform,
  fillRootless,
  PLATFORMS,
  type Platform,
  rootsForPlatform,
  toRootless,
} from "./roots.js";
export {
  type AnatomyTemplateEntry,
  type AnatomyTemplateKey,
  type AnatomyTemplates,
  DEFAULT_PATH_TEMPLATE,
  type FormatOptions,
  formatTemplate,
  resolveAnatomyTemplate,
  type TemplateData,
  type TemplateValue,
} from "./template.js";
