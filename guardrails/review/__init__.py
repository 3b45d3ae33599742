"""A branch under review: the range, its verdict, the review ritual."""
