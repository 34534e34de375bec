# %% [markdown]
# (least_squares)=
# # least_squares
#
# Stub: this chapter is being written.

# %%
1 + 1
