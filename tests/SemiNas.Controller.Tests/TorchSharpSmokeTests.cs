using System.Runtime.InteropServices;
using System.Text;
using TorchSharp;
using static TorchSharp.torch;
using SemiNas.Core;

namespace SemiNas.Controller.Tests;

/// <summary>
/// Guards the build step in build/TorchSharpLinuxFix.targets: without it, TorchSharp's native glue library does not
/// load on a libstdc++ older than GCC 13's (Debian 12), and every tensor operation throws.
/// </summary>
public class TorchSharpSmokeTests
{
    private const string RequiredVersion = "GLIBCXX_3.4.32";

    [Fact]
    public void LstmForwardAndBackwardProduceFiniteNonZeroGradients()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(1234);
        using var lstm = nn.LSTM(inputSize: 3, hiddenSize: 8, batchFirst: true);
        using var head = nn.Linear(8, 1);

        Tensor input = torch.randn(4, 5, 3);
        Tensor target = torch.randn(4, 1);

        (Tensor output, _, _) = lstm.forward(input);
        Tensor prediction = head.forward(output.select(1, -1));
        Tensor loss = nn.functional.mse_loss(prediction, target);
        loss.backward();

        Assert.True(double.IsFinite(loss.item<float>()));
        var parameters = lstm.parameters().Concat(head.parameters()).ToList();
        Assert.NotEmpty(parameters);
        foreach (var parameter in parameters)
        {
            Tensor? gradient = parameter.grad;
            Assert.NotNull(gradient);
            Assert.True(torch.isfinite(gradient).all().item<bool>(), "gradient has non-finite values");
            Assert.True(gradient.abs().sum().item<float>() > 0, "gradient is all zeros");
        }
    }

    [LinuxFact("the patched libLibTorchSharp.so")]
    public void OutputLibTorchSharpLoadsAndIsPatchedWhereNeeded()
    {
        string? library = new[]
            {
                Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so"),
                Path.Combine(AppContext.BaseDirectory, "libLibTorchSharp.so"),
            }
            .FirstOrDefault(File.Exists);
        Assert.NotNull(library);

        // A tensor operation makes TorchSharp load its native library; it throws if the loader rejects it.
        using (var scope = torch.NewDisposeScope())
            Assert.Equal(6f, torch.ones(2, 3).sum().item<float>());

        // The loaded copy must be the one in the output folder, not the unpatched one in the NuGet cache.
        string[] loaded = File.ReadAllLines("/proc/self/maps")
            .Where(line => line.EndsWith("/libLibTorchSharp.so", StringComparison.Ordinal))
            .Select(line => line[line.IndexOf('/')..])
            .Distinct()
            .ToArray();
        Assert.Equal([Path.GetFullPath(library)], loaded);

        string? libstdcxx = new[] { "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/lib64", "/usr/lib", "/lib" }
            .Select(directory => Path.Combine(directory, "libstdc++.so.6"))
            .FirstOrDefault(File.Exists);
        bool systemHasVersion = libstdcxx != null
            && File.ReadAllBytes(libstdcxx).AsSpan().IndexOf(Encoding.ASCII.GetBytes(RequiredVersion)) >= 0;
        if (systemHasVersion)
            return;

        ushort? flags = ElfVersionNeeds.FindFlags(File.ReadAllBytes(library), RequiredVersion);
        Assert.NotNull(flags);
        Assert.True((flags.Value & 0x2) != 0, $"{RequiredVersion} is not marked weak (VER_FLG_WEAK) in {library}");
    }

    /// <summary>
    /// Just enough ELF64 little-endian reading to find a Vernaux entry's flags. Field offsets:
    /// section header sh_type +4, sh_offset +24, sh_link +40, sh_info +44;
    /// Verneed vn_cnt +2, vn_aux +8, vn_next +12; Vernaux vna_flags +4, vna_name +8, vna_next +12.
    /// </summary>
    private static class ElfVersionNeeds
    {
        public static ushort? FindFlags(byte[] elf, string versionName)
        {
            Assert.True(elf.Length > 64 && elf[0] == 0x7f && elf[1] == 'E' && elf[4] == 2 && elf[5] == 1, "not an ELF64 LE file");
            var span = elf.AsSpan();
            int shoff = checked((int)U64(span, 0x28));
            int shentsize = U16(span, 0x3A);
            int shnum = U16(span, 0x3C);
            for (int i = 0; i < shnum; i++)
            {
                int header = shoff + i * shentsize;
                if (U32(span, header + 4) != 0x6ffffffe)
                    continue;
                int verneed = checked((int)U64(span, header + 24));
                int strtab = checked((int)U64(span, shoff + (int)U32(span, header + 40) * shentsize + 24));
                uint count = U32(span, header + 44);
                for (uint n = 0; n < count; n++)
                {
                    int vernaux = verneed + (int)U32(span, verneed + 8);
                    for (int a = 0; a < U16(span, verneed + 2); a++)
                    {
                        int name = strtab + (int)U32(span, vernaux + 8);
                        int length = span[name..].IndexOf((byte)0);
                        if (Encoding.ASCII.GetString(span.Slice(name, length)) == versionName)
                            return U16(span, vernaux + 4);
                        vernaux += (int)U32(span, vernaux + 12);
                    }
                    verneed += (int)U32(span, verneed + 12);
                }
            }
            return null;
        }

        private static ushort U16(ReadOnlySpan<byte> b, int o) => BitConverter.ToUInt16(b.Slice(o, 2));
        private static uint U32(ReadOnlySpan<byte> b, int o) => BitConverter.ToUInt32(b.Slice(o, 4));
        private static ulong U64(ReadOnlySpan<byte> b, int o) => BitConverter.ToUInt64(b.Slice(o, 8));
    }
}
