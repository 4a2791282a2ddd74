// The base model registry: the database-facing side of the model services.
export { requestModelImport, ZModelImportSource, ZModelName, ZHubRepoId, type TModelImportSource, type ModelScope, type PlatformImporter } from './request-model-import';
export { runModelImport, type ModelImportOutcome, type ModelImportProgress, type RunModelImportOptions } from './run-model-import';
export { deleteModel, getBaseModel, listAllBaseModels, listBaseModels, toModelSummary, type BaseModelSummary } from './manage-models';
export { listHubRepoFiles, searchHub, type HubRepoFile } from './browse-hub';
export { materializeModelFolder, parseModelArtifacts, ZModelArtifacts, type TModelArtifacts } from './model-artifacts';
