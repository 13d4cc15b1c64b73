namespace SemiNas.Tts.Data;

/// <summary>
/// numpy's legacy global generator (<c>np.random.seed(s)</c>, i.e. <c>RandomState</c>): MT19937 seeded with
/// <c>init_genrand</c>, and the legacy <c>shuffle</c>/<c>permutation</c>, which swaps position i (from the last down
/// to 1) with <c>random_interval(i)</c>, a masked rejection draw from 32-bit outputs. Reproduced so that the paper's
/// low-resource split (generate_data_low_resource.py: <c>np.random.seed(1)</c>, then <c>np.random.shuffle</c> of the
/// row indices) picks the same LJSpeech utterances here.
/// </summary>
public sealed class NumpyLegacyRandom
{
    private const int N = 624;
    private const int M = 397;
    private readonly uint[] _state = new uint[N];
    private int _position;

    public NumpyLegacyRandom(uint seed)
    {
        // init_genrand (numpy's mt19937_seed).
        _state[0] = seed;
        for (var i = 1; i < N; i++)
            _state[i] = unchecked(1812433253u * (_state[i - 1] ^ (_state[i - 1] >> 30)) + (uint)i);
        _position = N;
    }

    /// <summary>The next 32-bit output of MT19937 (genrand_int32).</summary>
    public uint NextUInt32()
    {
        if (_position >= N) Twist();
        var y = _state[_position++];
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c5680u;
        y ^= (y << 15) & 0xefc60000u;
        y ^= y >> 18;
        return y;
    }

    /// <summary>numpy's <c>random_interval(max)</c>: uniform in [0, max] by masking and rejecting (max below 2^32 here).</summary>
    public uint Interval(uint max)
    {
        if (max == 0) return 0;
        var mask = max;
        mask |= mask >> 1;
        mask |= mask >> 2;
        mask |= mask >> 4;
        mask |= mask >> 8;
        mask |= mask >> 16;
        uint value;
        while ((value = NextUInt32() & mask) > max) { }
        return value;
    }

    /// <summary><c>np.random.permutation(n)</c> after <c>np.random.seed(seed)</c> (the same draw as shuffling a list of 0..n-1).</summary>
    public static int[] Permutation(int n, uint seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        var random = new NumpyLegacyRandom(seed);
        var order = Enumerable.Range(0, n).ToArray();
        for (var i = n - 1; i > 0; i--)
        {
            var j = (int)random.Interval((uint)i);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }

    private void Twist()
    {
        const uint upper = 0x80000000u, lower = 0x7fffffffu, matrix = 0x9908b0dfu;
        for (var i = 0; i < N; i++)
        {
            var y = (_state[i] & upper) | (_state[(i + 1) % N] & lower);
            _state[i] = _state[(i + M) % N] ^ (y >> 1) ^ ((y & 1) != 0 ? matrix : 0u);
        }
        _position = 0;
    }
}
