import { z } from "zod";

/** One change of the feed: which object, where, and what happened to it. */
export const changeSchema = z.object({
  /** Increases in commit order. */
  revision: z.number().int().positive(),
  kind: z.string(),
  id: z.string(),
  project: z.string().optional(),
  environment: z.string().optional(),
  action: z.enum(["created", "updated", "deleted"]),
});
export type Change = z.output<typeof changeSchema>;

/** What a follower asks: the changes after the last revision it got, waiting up to `wait` seconds
 * for one when there is none yet. */
export const changeQuerySchema = z.strictObject({
  after: z.coerce.number().int().min(0).default(0),
  wait: z.coerce.number().min(0).max(60).optional(),
});
export type ChangeQuery = z.output<typeof changeQuerySchema>;

/** The changes after `after` the caller may read, oldest first, and the revision to pass back. */
export const changePageSchema = z.object({
  revision: z.number().int().min(0),
  changes: z.array(changeSchema),
});
export type ChangePage = z.output<typeof changePageSchema>;
