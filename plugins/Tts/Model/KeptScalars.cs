using System.Collections.Concurrent;
using TorchSharp;

namespace SemiNas.Tts.Model;

/// <summary>
/// Numbers used on every training step as libtorch scalars that stay alive. TorchSharp 0.107 turns a number into a
/// temporary <see cref="Scalar"/> and passes its handle to libtorch without keeping the object alive, so a garbage
/// collection during the call can free it ("Unknown scalar type"; three of sixteen final trainings on a loaded
/// machine died so). The values here are constants of a model (a few per process), made once and never freed.
/// </summary>
internal static class KeptScalars
{
    private static readonly ConcurrentDictionary<double, Scalar> Cache = new();

    public static Scalar NegativeInfinity { get; } = float.NegativeInfinity;

    public static Scalar Of(double value) => Cache.GetOrAdd(value, v => v);
}
