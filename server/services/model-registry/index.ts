// The base model registry: the database-facing side of the model services. Safe for the web
// bundle; the import itself (child processes, llama.cpp) is in ./run-model-import, for the worker and CLI.
export { requestModelImport, ZModelImportSource, ZModelName, ZHubRepoId, type TModelImportSource, type ModelScope, type PlatformImporter } from './request-model-import';
export { deleteModel, getBaseModel, listAllBaseModels, listBaseModels, toModelSummary, type BaseModelSummary } from './manage-models';
export { listHubRepoFiles, searchHub, type HubRepoFile } from './browse-hub';
export { materializeModelFolder, parseModelArtifacts, ZModelArtifacts, type TModelArtifacts } from './model-artifacts';
