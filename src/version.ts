/** The toolkit version stamped into every record; a test keeps it equal to package.json's. */
export const METAREP_VERSION = "0.1.0";

/** Version of the RunRecord layout; bump on any change of its fields or of the random streams. */
export const RECORD_SCHEMA_VERSION = 1 as const;
