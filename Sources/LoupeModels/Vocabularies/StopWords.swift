/// English function words that name nothing a picture could show, left out of `english-20k`.
///
/// They are articles, pronouns, prepositions, conjunctions, auxiliary and modal verbs, common
/// adverbs of degree and time, and contractions of them. Written for Loupe.
enum StopWords {
    static let english: Set<String> = [
        "a", "an", "the", "this", "that", "these", "those", "some", "any", "each", "every", "either", "neither", "no", "not",
        "i", "me", "my", "mine", "myself", "we", "us", "our", "ours", "ourselves", "you", "your", "yours", "yourself",
        "yourselves", "he", "him", "his", "himself", "she", "her", "hers", "herself", "it", "its", "itself", "they", "them",
        "their", "theirs", "themselves", "who", "whom", "whose", "which", "what", "whatever", "whoever", "whichever",
        "am", "is", "are", "was", "were", "be", "been", "being", "have", "has", "had", "having", "do", "does", "did", "doing",
        "will", "would", "shall", "should", "can", "could", "may", "might", "must", "ought",
        "and", "or", "but", "nor", "so", "yet", "if", "then", "else", "than", "because", "as", "while", "whereas", "though",
        "although", "unless", "until", "whether", "since",
        "of", "to", "in", "on", "at", "by", "for", "with", "from", "into", "onto", "upon", "about", "above", "below", "over",
        "under", "between", "among", "through", "during", "before", "after", "against", "without", "within", "along",
        "across", "behind", "beyond", "toward", "towards", "via", "per", "off", "out", "up", "down",
        "here", "there", "where", "when", "why", "how", "all", "both", "few", "more", "most", "other", "others", "another",
        "such", "only", "own", "same", "too", "very", "just", "also", "again", "ever", "never", "always", "often", "once",
        "already", "still", "even", "much", "many", "quite", "rather", "really", "almost", "enough", "perhaps", "maybe",
        "now", "however", "therefore", "thus", "hence", "yes", "ok", "okay", "oh",
        "i'm", "you're", "he's", "she's", "it's", "we're", "they're", "i've", "you've", "we've", "they've", "i'd", "you'd",
        "he'd", "she'd", "we'd", "they'd", "i'll", "you'll", "he'll", "she'll", "we'll", "they'll", "isn't", "aren't",
        "wasn't", "weren't", "hasn't", "haven't", "hadn't", "doesn't", "don't", "didn't", "won't", "wouldn't", "shan't",
        "shouldn't", "can't", "cannot", "couldn't", "mustn't", "let's", "that's", "who's", "what's", "here's", "there's",
        "where's", "when's", "why's", "how's",
    ]
}
