using CsvHelper;
using SemiNas.Contracts;
using SemiNas.Host.Reporting;
using SemiNas.Storage;

namespace SemiNas.Host.Tests.Reporting;

public class TrialExportTests
{
    [Fact]
    public void A_description_and_a_failure_reason_with_commas_quotes_and_line_breaks_read_back_unchanged()
    {
        using var folder = new TempFolder();
        const string description = "cell \"A\", 3x3 conv,\nthen pool";
        const string error = "evaluation threw: shape (3, 4) != \"(4, 3)\"\n   at Task.Evaluate()\r\n   at Runner.Run()";
        IReadOnlyList<TrialRecord> trials;
        using (var store = ExperimentStore.Open(folder.File("s.sqlite")))
        {
            var experiment = store.CreateExperiment(new NewExperiment("csv", "p", "random", 5, new Objective("acc", MetricGoal.Maximize),
                "name: csv", "{}", "fp"));
            var added = store.AddTrials(experiment.Id, [
                new NewTrial(new Architecture([1, 2]), "k1", description, new Dictionary<string, double> { ["flops"] = 1.5e6 }),
                new NewTrial(new Architecture([2, 1]), "k2", "plain", new Dictionary<string, double> { ["flops"] = 2e6 }),
            ], [0]);
            store.ClaimTrial(added[0].Id, "tests", TimeSpan.FromHours(1));
            store.MarkFailed(added[0].Id, error);
            store.ClaimTrial(added[1].Id, "tests", TimeSpan.FromHours(1));
            store.MarkComplete(added[1].Id, new Dictionary<string, double> { ["acc"] = 91.25 }, 91.25, feasible: true);
            trials = store.LoadTrials(experiment.Id);
        }

        var path = folder.File("t.csv");
        using (var writer = new StreamWriter(path)) TrialExport.WriteCsv(writer, trials);

        using var csv = CsvReader.FromFile(path);
        var rows = new List<(string Description, string Error, string State, string Flops, string Acc)>();
        while (csv.Read())
            rows.Add((csv.GetString("description"), csv.GetString("error"), csv.GetString("state"), csv.GetString("flops"), csv.GetString("acc")));
        Assert.Equal([(description, error, "FAILED", "1500000", ""), ("plain", "", "COMPLETE", "2000000", "91.25")], rows);
    }
}
