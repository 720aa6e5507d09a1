/// The functions an expression may call. Time is deliberately absent: use the `builtin: now` step,
/// whose result is recorded, so that a replayed run sees the same time.
public enum ExpressionFunction: String, Sendable, Hashable, CaseIterable {
    case length, upper, lower, trim, join, split
    case json, fromjson, keys, values, contains
    case `default`, startswith, endswith, replace
    case tostring, tonumber, sum, min, max, range, format

    /// How many arguments the function takes; `nil` as the upper bound means any number.
    public var arity: (min: Int, max: Int?) {
        switch self {
        case .length, .upper, .lower, .trim, .json, .fromjson, .keys, .values, .tostring, .tonumber, .sum: return (1, 1)
        case .join, .split: return (1, 2)
        case .contains, .default, .startswith, .endswith: return (2, 2)
        case .replace: return (3, 3)
        case .min, .max: return (1, nil)
        case .range: return (1, 3)
        case .format: return (1, nil)
        }
    }

    /// A one-line signature for messages and documentation.
    public var signature: String {
        switch self {
        case .length: return "length(value)"
        case .upper: return "upper(text)"
        case .lower: return "lower(text)"
        case .trim: return "trim(text)"
        case .join: return "join(array, separator?)"
        case .split: return "split(text, separator?)"
        case .json: return "json(value)"
        case .fromjson: return "fromjson(text)"
        case .keys: return "keys(object)"
        case .values: return "values(object)"
        case .contains: return "contains(haystack, needle)"
        case .default: return "default(value, fallback)"
        case .startswith: return "startswith(text, prefix)"
        case .endswith: return "endswith(text, suffix)"
        case .replace: return "replace(text, old, new)"
        case .tostring: return "tostring(value)"
        case .tonumber: return "tonumber(value)"
        case .sum: return "sum(array)"
        case .min: return "min(array) or min(a, b, …)"
        case .max: return "max(array) or max(a, b, …)"
        case .range: return "range(stop) or range(start, stop, step?)"
        case .format: return "format(template, arguments…)"
        }
    }

    var arityDescription: String {
        let (lo, hi) = arity
        switch hi {
        case nil: return "at least \(lo) argument\(lo == 1 ? "" : "s")"
        case lo?: return "\(lo) argument\(lo == 1 ? "" : "s")"
        case let hi?: return "\(lo) to \(hi) arguments"
        }
    }
}
