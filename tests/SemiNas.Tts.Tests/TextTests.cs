using SemiNas.Tts.Data;
using SemiNas.Tts.Text;

namespace SemiNas.Tts.Tests;

public class TextTests
{
    [Theory]
    [InlineData("In 1984 they sold 2,500 units.", "In nineteen eighty four they sold two thousand five hundred units.")]
    [InlineData("The 21st of March, room 4308.", "The twenty first of March, room four thousand three hundred eight.")]
    [InlineData("It cost $5 and 3.5% more.", "It cost five dollars and three point five percent more.")]
    [InlineData("Dr. Smith met Mr. Jones in 2005.", "Doctor Smith met Mister Jones in two thousand five.")]
    [InlineData("A well-known (old) house!", "A well known, old, house!")]
    public void Normalize_spells_out_numbers_and_abbreviations(string raw, string expected) =>
        Assert.Equal(expected, TextNormalizer.Normalize(raw));

    [Fact]
    public void Words_are_lower_case_without_punctuation()
    {
        Assert.Equal(["the", "cat's", "seven", "lives", "end"], TextNormalizer.Words("The cat's 7 lives... end!"));
        Assert.Equal("one hundred twelfth", TextNormalizer.SpellOrdinal(112));
        Assert.Equal("one million two thousand", TextNormalizer.SpellCardinal(1_002_000));
    }

    [Fact]
    public void The_debian_cmudict_gives_arpabet_without_stress()
    {
        DebianTools.Require();
        var dictionary = CmuDict.Debian;
        Assert.True(dictionary.Count > 100_000);
        Assert.True(dictionary.TryGetPhones("Cat", out var cat));
        Assert.Equal(["K", "AE", "T"], cat);
        // The recogniser hears every pronunciation: "read" is R EH D first, R IY D second.
        Assert.Equal(["read R EH D", "read(2) R IY D"], dictionary.EntriesFor(["read", "zxqvw"]));
        Assert.False(dictionary.Contains("zxqvw"));
    }

    [Fact]
    public void Phonemes_separate_words_mark_pauses_end_with_eos_and_spell_unknown_words()
    {
        DebianTools.Require();
        var phonemes = new PhonemeSet(CmuDict.Debian);
        var unknown = new List<string>();
        var ids = phonemes.Encode(TextNormalizer.Normalize("The cat, zxq."), unknown);
        Assert.Equal("DH AH | K AE T , | #z #x #q . ~", phonemes.Decode(ids));
        Assert.Equal(["zxq"], unknown);
        Assert.Equal(PhonemeSet.Eos, ids[^1]);
        Assert.True(phonemes.IsSpoken(ids[0]));
        Assert.False(phonemes.IsSpoken(PhonemeSet.WordBoundary));
        Assert.All(ids, id => Assert.InRange(id, 1, phonemes.Count - 1));
    }

    [Theory]
    [InlineData(SentenceList.Shipped, 1800)]
    [InlineData(SentenceList.ShippedHard, 40)]
    public void Every_word_of_the_shipped_sentences_is_in_cmudict(string list, int atLeast)
    {
        // A word the dictionary lacks can never be recognised, so it would count as an error of every model.
        DebianTools.Require();
        var sentences = SentenceList.LoadShipped(list);
        Assert.True(sentences.Count >= atLeast, $"{list} has {sentences.Count} sentences");
        var missing = sentences.SelectMany(s => TextNormalizer.Words(s.Text).Where(w => !CmuDict.Debian.Contains(w)).Select(w => $"line {s.Line}: {w}"))
            .ToList();
        Assert.True(missing.Count == 0, string.Join(", ", missing));
    }
}
