using System.Buffers.Binary;

namespace SemiNas.Core;

/// <summary>
/// A <see cref="Random"/> whose whole state can be saved and restored (xoshiro256**), so that a search that
/// was killed resumes with exactly the random choices an uninterrupted one would have made.
/// System.Random cannot be serialised, which is why strategies use this one.
/// </summary>
public sealed class SeededRandom : Random
{
    private ulong _s0, _s1, _s2, _s3;

    public SeededRandom(long seed)
    {
        // SplitMix64 spreads a small seed over the 256-bit state, as the xoshiro authors recommend.
        var x = unchecked((ulong)seed);
        _s0 = SplitMix(ref x);
        _s1 = SplitMix(ref x);
        _s2 = SplitMix(ref x);
        _s3 = SplitMix(ref x);
    }

    private SeededRandom(ReadOnlySpan<byte> state) => Restore(state);

    public const int StateSize = 32;

    public byte[] SaveState()
    {
        var bytes = new byte[StateSize];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(0), _s0);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(8), _s1);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(16), _s2);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(24), _s3);
        return bytes;
    }

    public static SeededRandom FromState(ReadOnlySpan<byte> state) => new(state);

    public void Restore(ReadOnlySpan<byte> state)
    {
        if (state.Length != StateSize) throw new ArgumentException($"A random state has {StateSize} bytes, not {state.Length}.");
        _s0 = BinaryPrimitives.ReadUInt64LittleEndian(state[..8]);
        _s1 = BinaryPrimitives.ReadUInt64LittleEndian(state[8..16]);
        _s2 = BinaryPrimitives.ReadUInt64LittleEndian(state[16..24]);
        _s3 = BinaryPrimitives.ReadUInt64LittleEndian(state[24..32]);
    }

    /// <summary>A new generator seeded from this one (for a component that needs its own stream).</summary>
    public SeededRandom Split() => new(unchecked((long)NextUInt64()));

    public ulong NextUInt64()
    {
        var result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    public override int Next()
    {
        while (true)
        {
            var v = (int)(NextUInt64() >> 33);
            if (v != int.MaxValue) return v;
        }
    }

    public override int Next(int maxValue)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxValue);
        return (int)NextBounded((ulong)maxValue);
    }

    public override int Next(int minValue, int maxValue)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minValue, maxValue);
        return (int)((long)minValue + (long)NextBounded((ulong)((long)maxValue - minValue)));
    }

    public override long NextInt64()
    {
        while (true)
        {
            var v = (long)(NextUInt64() >> 1);
            if (v != long.MaxValue) return v;
        }
    }

    public override long NextInt64(long maxValue)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxValue);
        return (long)NextBounded((ulong)maxValue);
    }

    public override long NextInt64(long minValue, long maxValue)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minValue, maxValue);
        return minValue + (long)NextBounded((ulong)(maxValue - minValue));
    }

    public override double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    public override float NextSingle() => (NextUInt64() >> 40) * (1.0f / (1U << 24));

    protected override double Sample() => NextDouble();

    public override void NextBytes(byte[] buffer) => NextBytes(buffer.AsSpan());

    public override void NextBytes(Span<byte> buffer)
    {
        Span<byte> chunk = stackalloc byte[8];
        for (var i = 0; i < buffer.Length; i += 8)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(chunk, NextUInt64());
            chunk[..Math.Min(8, buffer.Length - i)].CopyTo(buffer[i..]);
        }
    }

    // Lemire's unbiased bounded integer in [0, bound).
    private ulong NextBounded(ulong bound)
    {
        if (bound <= 1) return 0;
        var threshold = (0 - bound) % bound;
        while (true)
        {
            var r = NextUInt64();
            var high = Math.BigMul(r, bound, out var low);
            if (low >= threshold) return high;
        }
    }

    private static ulong SplitMix(ref ulong x)
    {
        var z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
