/** The `pgpass` package (node-postgres's ~/.pgpass reader) ships no types; this is the call sitesync uses. */
declare module "pgpass" {
  interface ConnectionInfo {
    host?: string;
    port?: number | string;
    database?: string;
    user?: string;
  }
  function pgpass(connInfo: ConnectionInfo, callback: (password: string | undefined) => void): void;
  export default pgpass;
}
