/** A file that cannot be read as either format; `reason` is what the job records as `{file, reason}`. */
export class MalformedFileError extends Error {
  override name = 'MalformedFileError'
  constructor(
    /** Why, without the file name. */
    readonly reason: string,
    /** The file, when known. */
    readonly file?: string,
  ) {
    super(file ? `${file}: ${reason}` : reason)
  }
}
