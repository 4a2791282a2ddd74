export * from './constants';
export * from './metadata';
export * from './gguf-writer';
export * from './gguf-reader';
