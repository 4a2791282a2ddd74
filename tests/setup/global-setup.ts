// Filled in by the foundation: a fresh database per run, the Docker engine and the fixture model.
export default async function setup(): Promise<void> {}
