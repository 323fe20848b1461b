"""Translation: corpus BLEU, chrF and chrF++ equal to sacrebleu 2.x (the family's other parts come later)."""
