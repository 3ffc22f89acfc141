#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Clocks, CPU time and formatting shared by the subcommands.
enum Measure {
    /// Monotonic wall clock, nanoseconds.
    @inline(__always)
    static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    /// CPU time (user + system) of the whole process so far, nanoseconds (getrusage).
    static func processCPU() -> UInt64 {
        var usage = rusage()
        #if os(Linux)
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        #else
        getrusage(RUSAGE_SELF, &usage)
        #endif
        func ns(_ tv: timeval) -> UInt64 { UInt64(tv.tv_sec) * 1_000_000_000 + UInt64(tv.tv_usec) * 1_000 }
        return ns(usage.ru_utime) + ns(usage.ru_stime)
    }

    /// CPU time of the calling thread, nanoseconds.
    static func threadCPU() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    /// CPU time (user + system) of process `pid` and all its descendants, nanoseconds,
    /// from /proc (clock-tick resolution). `nil` where /proc cannot tell.
    static func processTreeCPU(pid: Int32) -> UInt64? {
        #if os(Linux)
        guard let dir = opendir("/proc") else { return nil }
        defer { closedir(dir) }
        var parent: [Int32: Int32] = [:]
        var ticks: [Int32: UInt64] = [:]
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            guard let id = Int32(name), let stat = readSmallFile("/proc/\(name)/stat") else { continue }
            // Fields after the parenthesised command: state ppid ... utime(14) stime(15).
            guard let close = stat.lastIndex(of: ")") else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 12, let ppid = Int32(fields[1]), let user = UInt64(fields[11]), let system = UInt64(fields[12])
            else { continue }
            parent[id] = ppid
            ticks[id] = user + system
        }
        guard ticks[pid] != nil else { return nil }
        var total: UInt64 = 0
        for (id, value) in ticks {
            var current: Int32? = id
            var depth = 0
            while let c = current, depth < 64 {
                if c == pid {
                    total += value
                    break
                }
                current = parent[c]
                depth += 1
            }
        }
        let hz = UInt64(sysconf(Int32(_SC_CLK_TCK)))
        return total * (1_000_000_000 / max(hz, 1))
        #else
        return nil
        #endif
    }

    static func readSmallFile(_ path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var bytes = [UInt8](repeating: 0, count: 4096)
        let count = fread(&bytes, 1, bytes.count, file)
        guard count > 0 else { return nil }
        return String(decoding: bytes[..<count], as: UTF8.self)
    }

    /// Flushes stdout (all C streams), so that a figure already printed survives a crash
    /// even when the output goes to a pipe or a file.
    static func flush() {
        fflush(nil)
    }

    /// The value at quantile `q` (0…1) of sorted `values`, nearest rank.
    static func quantile(_ sorted: [UInt64], _ q: Double) -> UInt64? {
        guard !sorted.isEmpty else { return nil }
        let rank = Int((q * Double(sorted.count)).rounded(.up)) - 1
        return sorted[min(max(rank, 0), sorted.count - 1)]
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return .nan }
        let mid = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
    }
}

/// Fixed-width text formatting without Foundation.
enum Format {
    /// `value` with `decimals` digits after the point.
    static func fixed(_ value: Double, _ decimals: Int) -> String {
        guard value.isFinite else { return "n/a" }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let rounded = (abs(value) * scale).rounded()
        let whole = Int(rounded / scale)
        let frac = Int(rounded - Double(whole) * scale)
        var text = (value < 0 && rounded != 0 ? "-" : "") + String(whole)
        if decimals > 0 {
            let digits = String(frac)
            text += "." + String(repeating: "0", count: decimals - digits.count) + digits
        }
        return text
    }

    /// Thousands separated integer.
    static func grouped(_ value: Double) -> String {
        guard value.isFinite else { return "n/a" }
        let digits = String(Int(value.rounded()))
        var out = ""
        for (i, c) in digits.reversed().enumerated() {
            if i > 0, i % 3 == 0, c != "-" { out.append(",") }
            out.append(c)
        }
        return String(out.reversed())
    }

    static func pad(_ text: String, _ width: Int, right: Bool = true) -> String {
        guard text.count < width else { return text }
        let fill = String(repeating: " ", count: width - text.count)
        return right ? fill + text : text + fill
    }

    /// A plain text table with a header row; the first column is left-aligned.
    static func table(_ header: [String], _ rows: [[String]]) -> String {
        var widths = header.map(\.count)
        for row in rows { for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, cell in pad(cell, widths[i], right: i != 0) }.joined(separator: "  ")
        }
        var out = line(header) + "\n" + widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")
        for row in rows { out += "\n" + line(row) }
        return out
    }
}
