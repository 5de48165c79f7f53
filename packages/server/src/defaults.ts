/** Where the server keeps its data when told nothing: a SQLite file in the working directory. */
export const DEFAULT_DB = 'sqlite:./tidings.db'
export const DEFAULT_PORT = 8787
