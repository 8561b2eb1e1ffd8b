"""convert_common.py — pieces shared by the tools/convert_<family>.py modules."""


class ConvertError(Exception):
    """A clear, user-facing conversion error: convert.py prints it as one line
    (naming the key, node or file at fault) and exits with status 1."""


def conv_oihw_to_ohwi(w):
    """PyTorch conv weight (O, I, KH, KW) -> tryon OHWI (O, KH, KW, I)."""
    return w.transpose(0, 2, 3, 1).copy()


def convt_iohw_to_ohwi(w, groups=1):
    """PyTorch ConvTranspose2d weight (I, O/groups, KH, KW) -> tryon OHWI
    (O, KH, KW, I/groups): output channel g*Og + o, input channel i of group g."""
    i_total, og, kh, kw = w.shape
    ig = i_total // groups
    w = w.reshape(groups, ig, og, kh, kw)            # g, i, o, kh, kw
    w = w.transpose(0, 2, 3, 4, 1)                   # g, o, kh, kw, i
    return w.reshape(groups * og, kh, kw, ig).copy()
