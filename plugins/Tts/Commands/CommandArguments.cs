using System.Globalization;

namespace SemiNas.Tts.Commands;

/// <summary>A bad command line: the command prints the message and exits with code 2.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>
/// A small parser for <c>--name value</c> and <c>--flag</c> arguments: every option must be known, values must
/// parse, and the messages name the option.
/// </summary>
internal sealed class CommandArguments
{
    private readonly Dictionary<string, string?> _values = new(StringComparer.Ordinal);

    public CommandArguments(IReadOnlyList<string> arguments, IReadOnlyCollection<string> valueOptions, IReadOnlyCollection<string> flags)
    {
        for (var i = 0; i < arguments.Count; i++)
        {
            var argument = arguments[i];
            string name;
            string? inline = null;
            var equals = argument.IndexOf('=');
            if (argument.StartsWith("--", StringComparison.Ordinal) && equals > 2)
            {
                name = argument[..equals];
                inline = argument[(equals + 1)..];
            }
            else name = argument;

            if (flags.Contains(name))
            {
                if (inline is not null) throw new UsageException($"{name} takes no value.");
                _values[name] = null;
            }
            else if (valueOptions.Contains(name))
            {
                if (inline is null)
                {
                    if (i + 1 >= arguments.Count) throw new UsageException($"{name} needs a value.");
                    inline = arguments[++i];
                }
                if (_values.ContainsKey(name)) throw new UsageException($"{name} is given twice.");
                _values[name] = inline;
            }
            else
            {
                var known = valueOptions.Concat(flags).Order(StringComparer.Ordinal);
                throw new UsageException($"unknown argument '{argument}' (options: {string.Join(", ", known)}).");
            }
        }
    }

    public bool Has(string name) => _values.ContainsKey(name);

    public string? Get(string name) => _values.TryGetValue(name, out var v) ? v : null;

    public string Required(string name) => Get(name) ?? throw new UsageException($"{name} is required.");

    public int Int(string name, int fallback, int min = int.MinValue, int max = int.MaxValue)
    {
        if (Get(name) is not { } text) return fallback;
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
            throw new UsageException($"{name} must be an integer in {min}..{max}, not '{text}'.");
        return value;
    }

    public double Double(string name, double fallback, double min = double.MinValue, double max = double.MaxValue)
    {
        if (Get(name) is not { } text) return fallback;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || value < min || value > max || double.IsNaN(value))
            throw new UsageException($"{name} must be a number in {min}..{max}, not '{text}'.");
        return value;
    }
}
