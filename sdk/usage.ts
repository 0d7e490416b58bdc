// Code a client developer writes against the generated types: if the schema loses an operation,
// a field or an enumeration these lines rely on, `tsc` fails.
import type { components, operations, paths } from "./build/arena";

type Tournament = components["schemas"]["TournamentOut"];
type TournamentPage = operations["tournaments_list"]["responses"][200]["content"]["application/json"];
type ErrorBody = components["schemas"]["ErrorOut"];
type StandingsRow = paths["/api/tournaments/{tournament_id}/standings"]["get"]["responses"][200]["content"]["application/json"][number];

export function titles(page: TournamentPage): string[] {
  return page.items.map((t: Tournament) => t.title);
}

export function isLive(t: Tournament): boolean {
  // An enumeration, not a bare string: a typo such as "on-going" would not compile.
  return t.status === "ongoing";
}

export function describeError(e: ErrorBody): string {
  return e.code ? `${e.code}: ${e.detail}` : e.detail;
}

export function leader(rows: StandingsRow[]): number | undefined {
  return rows[0]?.rank;
}

export type LoginBody = operations["login"]["requestBody"] extends { content: { "application/json": infer B } } ? B : never;
export const example: LoginBody = { email: "host@arena.local", password: "arena-demo-pass" };
