# %% [markdown]
# (digits_influence)=
# # digits_influence
#
# Stub: this chapter is being written.

# %%
1 + 1
