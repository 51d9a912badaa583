/** A workflow that does nothing: the benchmarks' baseline for the server's raw start rate. */
export async function emptyWorkflow(): Promise<void> {
  // intentionally empty
}
