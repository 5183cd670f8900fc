/// Images: decode, encode, resize, crop and normalise.
