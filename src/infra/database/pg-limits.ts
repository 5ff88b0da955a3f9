/** The largest value of a PostgreSQL `integer` (int4) column: a bigger one fails the query (22003). */
export const PG_INT_MAX = 2_147_483_647;
