/** Hugging Face hub access and the standard huggingface_hub cache, for models and datasets. */
export { HubCache, type CachedFile } from './cache.js';
export type { RemoteFile, RevisionInfo } from './client.js';
export { HubError, type HubErrorKind } from './errors.js';
export { Hub, type DownloadOptions } from './hub.js';
export { DEFAULT_ENDPOINT, hubOptionsFromEnv, type HubOptions } from './options.js';
export { DEFAULT_REVISION, isCommitSha, repoFolderName, type RepoRef, type RepoType } from './repo.js';
export { isLocalModel, modelFilesToFetch, modelFolder, type ModelFolderOptions } from './model-files.js';
