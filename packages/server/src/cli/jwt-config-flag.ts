import { readFile } from 'node:fs/promises'
import { isTidingsError } from '@tidings/protocol'
import { type JwtIssuer, parseJwtConfigText } from '../auth/jwt/config.js'
import { JwtVerifier } from '../auth/jwt/verifier.js'

export const JWT_USAGE = `--jwt-config FILE (or TIDINGS_JWT_ISSUERS, the same JSON inline): trusted JWT issuers,
     {"issuers":[{"issuer","audience","jwksUrl"|"publicKey"|"secret", "algorithms"?,
     "clockToleranceSeconds"?, "subjectClaim"?}]}; their users sign in with the app's own JWTs.`

/**
 * `serve`'s `--jwt-config FILE` (else `TIDINGS_JWT_ISSUERS`): undefined when neither is set.
 * Read and checked before the server starts (keys imported too), so a bad config is a usage
 * error naming the file or variable, not a refusal of every sign-in later.
 */
export const jwtIssuersFromFlag = async (
  flag: string | boolean | undefined,
  env: Record<string, string | undefined>,
  usage: (message: string) => Error,
): Promise<JwtIssuer[] | undefined> => {
  try {
    let issuers: JwtIssuer[] | undefined
    if (typeof flag === 'string') {
      const text = await readFile(flag, 'utf8').catch((err: Error) => {
        throw usage(`--jwt-config ${flag}: cannot read it (${err.message})`)
      })
      issuers = parseJwtConfigText(text, `--jwt-config ${flag}`)
    } else if (env.TIDINGS_JWT_ISSUERS !== undefined && env.TIDINGS_JWT_ISSUERS !== '') {
      issuers = parseJwtConfigText(env.TIDINGS_JWT_ISSUERS, 'TIDINGS_JWT_ISSUERS')
    }
    if (issuers) new JwtVerifier(issuers) // imports static keys now: a bad PEM stops the start
    return issuers
  } catch (error) {
    throw isTidingsError(error) ? usage(error.message) : error
  }
}
