using SemiNas.Contracts;
using SemiNas.Host.Configuration;

namespace SemiNas.ImageClassification.Tests;

/// <summary>The shipped configurations, found from the test's output folder up to the repository.</summary>
internal static class TestConfigs
{
    public static string Path(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = System.IO.Path.Combine(dir.FullName, "configs", name);
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException($"configs/{name} not found above {AppContext.BaseDirectory}");
    }

    /// <summary>The task options of a shipped configuration, bound and validated by the host's loader.</summary>
    public static ImageClassificationOptions Options(string name) =>
        (ImageClassificationOptions)Host.Experiments.ExperimentPlan.Create(ConfigLoader.Load(Path(name)), new ImageClassificationPlugin(),
            System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"unused-{Guid.NewGuid():N}.sqlite")).TaskOptions;
}
