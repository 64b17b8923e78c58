internal import COpenSSL
import StackCore

/// scrypt through OpenSSL's `SCRYPT` KDF, with the parameters libsodium derives from
/// `crypto_pwhash_scryptsalsa208sha256`'s `opslimit`/`memlimit` (what minisign stores).
enum Scrypt {
    /// scrypt's cost parameters.
    struct Parameters: Equatable, CustomStringConvertible {
        /// log2 of the CPU/memory cost N.
        var logN: UInt32
        /// Block size r.
        var r: UInt32
        /// Parallelism p.
        var p: UInt32

        /// N = 2^logN.
        var n: UInt64 { UInt64(1) << UInt64(logN) }
        /// The memory scrypt needs for V, in bytes (128·r·N), saturating.
        var memoryBytes: UInt64 {
            let (product, overflow) = (128 * UInt64(r)).multipliedReportingOverflow(by: n)
            return overflow ? .max : product
        }
        /// The work, in units of one salsa20/8 block mix over r (N·r·p), saturating.
        var work: UInt64 {
            let (nr, o1) = n.multipliedReportingOverflow(by: UInt64(r))
            let (nrp, o2) = nr.multipliedReportingOverflow(by: UInt64(p))
            return o1 || o2 ? .max : nrp
        }
        var description: String { "N=2^\(logN) r=\(r) p=\(p)" }
    }

    /// The largest memory a key file may ask for: 2 GiB (minisign's default is 1 GiB).
    static let maxMemoryBytes: UInt64 = 2 << 30
    /// The largest work a key file may ask for: 4× minisign's default (N=2^20, r=8, p=1).
    static let maxWork: UInt64 = 4 << 23

    /// Maps libsodium's limits onto scrypt's parameters exactly as libsodium's
    /// `pickparams` does: `opslimit` is raised to at least 32768; r is 8; when
    /// `opslimit < memlimit / 32`, p is 1 and N is the smallest power of two above
    /// `opslimit / (4r) / 2`; otherwise N is the smallest power of two above
    /// `memlimit / (128r) / 2` and p is `min(opslimit / 4 / N, 2^30 - 1) / r`.
    /// - Parameters:
    ///   - opslimit: The stored operations limit.
    ///   - memlimit: The stored memory limit.
    /// - Returns: N (as log2), r and p.
    static func parameters(opslimit: UInt64, memlimit: UInt64) -> Parameters {
        let ops = max(opslimit, 32768)
        let r: UInt64 = 8
        func smallestLog(above maxN: UInt64) -> UInt32 {
            var logN: UInt32 = 1
            while logN < 63 {
                if UInt64(1) << UInt64(logN) > maxN / 2 { break }
                logN += 1
            }
            return logN
        }
        if ops < memlimit / 32 {
            let logN = smallestLog(above: ops / (r * 4))
            return Parameters(logN: logN, r: UInt32(r), p: 1)
        }
        let logN = smallestLog(above: memlimit / (r * 128))
        let maxrp = min((ops / 4) / (UInt64(1) << UInt64(logN)), 0x3fff_ffff)
        return Parameters(logN: logN, r: UInt32(r), p: UInt32(maxrp / r))
    }

    /// Derives `count` bytes with scrypt.
    /// - Parameters:
    ///   - password: The password bytes.
    ///   - salt: The salt.
    ///   - parameters: N, r, p.
    ///   - count: How many bytes to derive.
    /// - Returns: The derived bytes; the caller wipes them.
    /// - Throws: `key.invalid` when the parameters exceed ``maxMemoryBytes``/``maxWork``
    ///   or are degenerate; `crypto.failed` when OpenSSL fails.
    static func derive(password: [UInt8], salt: [UInt8], parameters: Parameters, count: Int) throws -> [UInt8] {
        guard parameters.p >= 1, parameters.memoryBytes <= maxMemoryBytes, parameters.work <= maxWork else {
            throw StackError(.keyInvalid, "the key's scrypt parameters (\(parameters)) exceed the limits "
                             + "(\(maxMemoryBytes >> 20) MiB, work \(maxWork))")
        }
        let kdf = try OpenSSLError.check(EVP_KDF_fetch(nil, "SCRYPT", nil), "EVP_KDF_fetch(SCRYPT)")
        defer { EVP_KDF_free(kdf) }
        let context = try OpenSSLError.check(EVP_KDF_CTX_new(kdf), "EVP_KDF_CTX_new(SCRYPT)")
        defer { EVP_KDF_CTX_free(context) }

        // OSSL_PARAM keeps pointers to keys and values until the derive call returns, so
        // every one of them is stable storage for the whole call: static strings and
        // allocated scalars.
        let n = UnsafeMutablePointer<UInt64>.allocate(capacity: 1)
        let r = UnsafeMutablePointer<UInt32>.allocate(capacity: 1)
        let p = UnsafeMutablePointer<UInt32>.allocate(capacity: 1)
        let maxmem = UnsafeMutablePointer<UInt64>.allocate(capacity: 1)
        defer { n.deallocate(); r.deallocate(); p.deallocate(); maxmem.deallocate() }
        n.initialize(to: parameters.n)
        r.initialize(to: parameters.r)
        p.initialize(to: parameters.p)
        // OpenSSL counts V and B (and a little more); give it 1 MiB of slack over V.
        maxmem.initialize(to: parameters.memoryBytes + 128 * UInt64(parameters.r) * UInt64(parameters.p) + (1 << 20))

        var output = [UInt8](repeating: 0, count: count)
        var passwordCopy = password.isEmpty ? [0] : password  // a non-NULL pointer even when empty
        var saltCopy = salt
        defer { wipe(&passwordCopy) }
        let status = passwordCopy.withUnsafeMutableBytes { passBytes in
            saltCopy.withUnsafeMutableBytes { saltBytes in
                var params: [OSSL_PARAM] = [
                    OSSL_PARAM_construct_octet_string(cString(Keys.password), passBytes.baseAddress, password.count),
                    OSSL_PARAM_construct_octet_string(cString(Keys.salt), saltBytes.baseAddress, saltBytes.count),
                    OSSL_PARAM_construct_uint64(cString(Keys.n), n),
                    OSSL_PARAM_construct_uint32(cString(Keys.r), r),
                    OSSL_PARAM_construct_uint32(cString(Keys.p), p),
                    OSSL_PARAM_construct_uint64(cString(Keys.maxmem), maxmem),
                    OSSL_PARAM_construct_end(),
                ]
                return params.withUnsafeMutableBufferPointer { paramBuffer in
                    output.withUnsafeMutableBufferPointer { out in
                        EVP_KDF_derive(context, out.baseAddress, out.count, paramBuffer.baseAddress)
                    }
                }
            }
        }
        guard status == 1 else {
            wipe(&output)
            throw OpenSSLError.failure("EVP_KDF_derive(SCRYPT, \(parameters))")
        }
        return output
    }

    /// OpenSSL's parameter names, as static strings whose storage lives forever.
    private enum Keys {
        static let password: StaticString = "pass"
        static let salt: StaticString = "salt"
        static let n: StaticString = "n"
        static let r: StaticString = "r"
        static let p: StaticString = "p"
        static let maxmem: StaticString = "maxmem_bytes"
    }

    /// A C string pointer to a static string's permanent, NUL-terminated storage.
    private static func cString(_ string: StaticString) -> UnsafePointer<CChar> {
        UnsafeRawPointer(string.utf8Start).assumingMemoryBound(to: CChar.self)
    }
}
