/** This server's version, answered by the health route. */
export const SERVER_VERSION = '0.1.0'
